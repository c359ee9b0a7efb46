"""vmxref: source-code investigation for hypervisor code (Linux KVM, VirtualBox)."""

__version__ = "0.1.0"
