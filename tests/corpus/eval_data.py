"""Evaluation sets for `writes` and the call graph on Linux 6.1 KVM, verified by reading the code.

Every expected answer below was established with grep over the whole corpus plus reading the
surrounding code (not by running vmxref). Rows are written compactly as strings:

    writes:  "FILE:LINE:FUNCTION:WRITE_KIND[:CONTAINER]"   (FUNCTION empty at file scope)
    callers: "FILE:FUNCTION"

FILE may use the short prefixes of `SHORT` (x86 = arch/x86/kvm/x86.c ...).
`direct` rows are assign/compound/incdec/init/designated writes; `indirect` rows are out-param
and whole-object writes, scored separately (None: that part is not evaluated for this question).
`neutral` rows (or files) are neither required nor counted as wrong (e.g. TRACE_EVENT bodies).

No Linux code is copied here: only queries, file paths, line numbers and function names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SHORT = {
    "x86": "arch/x86/kvm/x86.c", "xen": "arch/x86/kvm/xen.c", "hv": "arch/x86/kvm/hyperv.c",
    "cpuid": "arch/x86/kvm/cpuid.c", "svm": "arch/x86/kvm/svm/svm.c",
    "snested": "arch/x86/kvm/svm/nested.c", "vmx": "arch/x86/kvm/vmx/vmx.c",
    "vnested": "arch/x86/kvm/vmx/nested.c", "emul": "arch/x86/kvm/emulate.c",
    "kvmclock": "arch/x86/kernel/kvmclock.c", "pvclock": "arch/x86/kernel/pvclock.c",
    "kkvm": "arch/x86/kernel/kvm.c", "pvclock.h": "arch/x86/include/asm/pvclock.h",
    "pmu": "arch/x86/kvm/pmu.c", "pmu.h": "arch/x86/kvm/pmu.h", "spmu": "arch/x86/kvm/svm/pmu.c",
    "vpmu": "arch/x86/kvm/vmx/pmu_intel.c", "i8254": "arch/x86/kvm/i8254.c",
    "lapic": "arch/x86/kvm/lapic.c",
}
DIRECT_KINDS = ("assign", "compound", "incdec", "init", "designated")
INDIRECT_KINDS = ("out-param", "whole-object")
NEUTRAL_FILES = ("arch/x86/kvm/trace.h", "arch/x86/kvm/mmu/mmutrace.h")


def path_of(short: str) -> str:
    """Expand a short file prefix (see SHORT) to a corpus-relative path."""
    return SHORT.get(short, short)


@dataclass
class WriteCase:
    """One `writes` question with its verified answer."""
    query: str
    direct: set[str]
    indirect: set[str] | None = field(default_factory=set)
    neutral: set[str] = field(default_factory=set)
    grouping: bool = False        # rows carry a 5th part: the expected container struct
    forms: tuple[str, ...] = ()   # write forms this case exercises (documentation)
    known_wrong: str = ""         # non-empty: the engine is wrong now (xfail strict)


def W(query, direct, indirect=(), neutral=(), grouping=False, forms=(), known_wrong=""):
    """Build a WriteCase from iterables of row strings (indirect=None: not evaluated)."""
    return WriteCase(query, set(direct), None if indirect is None else set(indirect),
                     set(neutral), grouping, tuple(forms), known_wrong)


PV = "kvm_setup_guest_pvclock"
PV_MEMCPY = f"x86:3109:{PV}:whole-object"
# kvmclock.c:238 memset(hvclock_mem, 0, ...): hvclock_mem points at pvclock_vsyscall_time_info
# entries, each embedding a struct pvclock_vcpu_time_info (pvti): zeroed as a whole.
PV_GUEST_MEMSET = "kvmclock:238:kvmclock_init_mem:whole-object"
CLOCK_DATA_WHOLE = {"x86:6658:kvm_vm_ioctl_get_clock:whole-object",      # = { 0 }
                    "x86:6673:kvm_vm_ioctl_set_clock:whole-object"}      # copy_from_user(&data..)
CLOCK_DATA_NEUTRAL = {"x86:3065:get_kvmclock_ns:out-param", "x86:6660:kvm_vm_ioctl_get_clock:out-param",
                      "x86:3065:get_kvmclock_ns:whole-object", "x86:6660:kvm_vm_ioctl_get_clock:whole-object"}
SVM_DIRECT_MSR_LINES = [83, 84, 85, 86, 88, 89, 90, 91, 92, 93, 95, 96, 97, 98, 99, 100, 101, 102,
                        103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117,
                        118, 119, 120, 129, 130, 131, 132, 133, 134, 135, 136, 137]
HV_CPUID_LINES = range(2436, 2446)

WRITE_CASES: list[WriteCase] = [
    W("writes pvclock_vcpu_time_info.tsc_to_system_mul", [],
      ["x86:3041:__get_kvmclock:out-param", "x86:3191:kvm_guest_time_update:out-param", PV_MEMCPY,
       PV_GUEST_MEMSET],
      forms=("out-param", "whole-object")),
    W("writes pvclock_vcpu_time_info.tsc_shift", [],
      ["x86:3040:__get_kvmclock:out-param", "x86:3190:kvm_guest_time_update:out-param", PV_MEMCPY,
       PV_GUEST_MEMSET]),
    W("writes pvclock_vcpu_time_info.version",
      [f"x86:3098:{PV}:assign", f"x86:3112:{PV}:assign", f"x86:3112:{PV}:incdec"], [PV_MEMCPY, PV_GUEST_MEMSET],
      forms=("assign", "incdec", "chained assign")),
    W("writes pvclock_vcpu_time_info.flags",
      ["kvmclock:144:kvm_check_and_clear_guest_paused:compound",
       "pvclock:81:pvclock_clocksource_read:compound", f"x86:3102:{PV}:compound",
       f"x86:3105:{PV}:compound", "x86:3204:kvm_guest_time_update:assign"], [PV_MEMCPY, PV_GUEST_MEMSET],
      forms=("compound", "nested member src->pvti.flags")),
    W("writes pvclock_vcpu_time_info.tsc_timestamp",
      ["x86:3037:__get_kvmclock:assign", "x86:3195:kvm_guest_time_update:assign"], [PV_MEMCPY, PV_GUEST_MEMSET]),
    W("writes pvclock_vcpu_time_info.system_time",
      ["x86:3038:__get_kvmclock:assign", "x86:3196:kvm_guest_time_update:assign"], [PV_MEMCPY, PV_GUEST_MEMSET]),
    W("writes kvm_vcpu_arch.hv_clock.tsc_shift", [],
      ["x86:3190:kvm_guest_time_update:out-param"], forms=("field path",)),
    W("writes kvm_vcpu_arch.tsc_offset",
      ["snested:666:nested_vmcb02_prepare_control:assign", "snested:1019:nested_svm_vmexit:assign",
       "vnested:2562:prepare_vmcs02:assign", "vnested:3518:nested_vmx_enter_non_root_mode:compound",
       "vnested:4759:nested_vmx_vmexit:assign", "x86:2613:kvm_vcpu_write_tsc_offset:assign",
       "x86:2618:kvm_vcpu_write_tsc_offset:assign"]),
    W("writes kvm_vcpu_arch.l1_tsc_offset", ["x86:2605:kvm_vcpu_write_tsc_offset:assign"]),
    W("writes kvm_arch.use_master_clock", ["x86:2959:pvclock_update_vm_gtod_copy:assign"]),
    W("writes kvm_arch.master_kernel_ns", [], ["x86:2956:pvclock_update_vm_gtod_copy:out-param"]),
    W("writes kvm_arch.master_cycle_now", [], ["x86:2957:pvclock_update_vm_gtod_copy:out-param"]),
    W("writes kvm_arch.nr_vcpus_matched_tsc",
      ["x86:2692:__kvm_synchronize_tsc:assign", "x86:2694:__kvm_synchronize_tsc:incdec"]),
    W("writes kvm_arch.cur_tsc_generation", ["x86:2688:__kvm_synchronize_tsc:incdec"]),
    W("writes kvm_vcpu_arch.tsc_scaling_ratio",
      ["snested:1027:nested_svm_vmexit:assign", "snested:1455:nested_svm_update_tsc_ratio_msr:assign",
       "vnested:2567:prepare_vmcs02:assign", "vnested:4761:nested_vmx_vmexit:assign",
       "x86:2629:kvm_vcpu_write_tsc_multiplier:assign", "x86:2633:kvm_vcpu_write_tsc_multiplier:assign"]),
    W("writes kvm_vcpu_arch.last_guest_tsc",
      ["x86:2674:__kvm_synchronize_tsc:assign", "x86:3197:kvm_guest_time_update:assign",
       "x86:10952:vcpu_enter_guest:assign"], forms=("alias struct kvm_vcpu_arch *vcpu = &v->arch",)),
    W("writes kvm_arch.kvmclock_offset",
      ["x86:6708:kvm_vm_ioctl_set_clock:assign", "x86:12563:kvm_arch_init_vm:assign"]),
    W("writes kvm_clock_data.flags",
      ["x86:3024:__get_kvmclock:assign", "x86:3031:__get_kvmclock:compound",
       "x86:3036:__get_kvmclock:compound"], CLOCK_DATA_WHOLE, CLOCK_DATA_NEUTRAL,
      forms=("whole-object = { 0 }", "whole-object copy_from_user")),
    W("writes kvm_clock_data.clock",
      ["x86:3042:__get_kvmclock:assign", "x86:3044:__get_kvmclock:assign",
       "x86:6701:kvm_vm_ioctl_set_clock:compound"], CLOCK_DATA_WHOLE, CLOCK_DATA_NEUTRAL),
    W("writes kvm_clock_data.host_tsc", ["x86:3034:__get_kvmclock:assign"],
      {"x86:3029:__get_kvmclock:out-param"} | CLOCK_DATA_WHOLE, CLOCK_DATA_NEUTRAL),
    W("writes msr_data.index",
      ["svm:2722:efer_trap:assign", "x86:1900:__kvm_set_msr:assign", "x86:1942:__kvm_get_msr:assign"],
      None, forms=("shared field name index",)),
    W("writes msr_data.host_initiated",
      ["svm:2721:efer_trap:assign", "x86:1901:__kvm_set_msr:assign", "x86:1943:__kvm_get_msr:assign",
       "x86:11661:__set_sregs_common:assign"], None),
    W("writes kvm_msr_entry.index",
      ["svm:3099:svm_set_msr:assign", "x86:1718:do_get_msr_feature:assign",
       "x86:3615:kvm_set_msr_common:designated", "x86:7148:kvm_init_msr_list:assign"], None,
      forms=("designated in a declaration",)),
    W("writes kvm_x86_ops.set_msr",
      ["vmx:8213::designated", "svm:4850::designated"], ["x86:12419:kvm_ops_update:whole-object"],
      forms=("designated ops table", "memcpy whole-object")),
    W("writes svm_direct_access_msrs.index",
      [f"svm:{n}::designated" for n in SVM_DIRECT_MSR_LINES], None,
      forms=("array-of-struct initializer, struct defined in the declaration",)),
    W("writes kvm_cpuid_entry2.function",
      ["cpuid:480:kvm_vcpu_ioctl_set_cpuid:assign", "cpuid:822:do_host_cpuid:assign",
       "cpuid:864:__do_cpuid_func_emulated:assign"]
      + [f"hv:{n}:kvm_get_hv_cpuid:designated" for n in HV_CPUID_LINES], None,
      forms=("array-of-struct initializer in a function",)),
    W("writes hypervisor_x86.init.guest_late_init", ["kkvm:1010::designated"], None,
      forms=("nested designator .a.b = x, struct defined outside the corpus",)),
    # Bare field names shared by several structs: rows carry the expected container.
    W("writes tsc_offset",
      ["x86:2765:adjust_tsc_offset_guest:init:",
       "snested:666:nested_vmcb02_prepare_control:assign:kvm_vcpu_arch",
       "snested:1019:nested_svm_vmexit:assign:kvm_vcpu_arch",
       "vnested:2562:prepare_vmcs02:assign:kvm_vcpu_arch",
       "vnested:3518:nested_vmx_enter_non_root_mode:compound:kvm_vcpu_arch",
       "vnested:4759:nested_vmx_vmexit:assign:kvm_vcpu_arch",
       "x86:2613:kvm_vcpu_write_tsc_offset:assign:kvm_vcpu_arch",
       "x86:2618:kvm_vcpu_write_tsc_offset:assign:kvm_vcpu_arch",
       "snested:343:__nested_copy_vmcb_control_to_cache:assign:vmcb_ctrl_area_cached",
       "vnested:1695:copy_enlightened_to_vmcs12:assign:vmcs12",
       "hv:1106:compute_tsc_page_parameters:assign:ms_hyperv_tsc_page",
       # do_div(tsc_ref->tsc_offset, 100): the macro divides its first argument in place
       "hv:1107:compute_tsc_page_parameters:compound:ms_hyperv_tsc_page",
       "hv:1108:compute_tsc_page_parameters:compound:ms_hyperv_tsc_page",
       "snested:671:nested_vmcb02_prepare_control:assign:vmcb_control_area",
       "snested:1021:nested_svm_vmexit:assign:vmcb_control_area",
       "snested:1474:nested_copy_vmcb_cache_to_control:assign:vmcb_control_area",
       "svm:1113:svm_write_tsc_offset:assign:vmcb_control_area",
       "svm:1114:svm_write_tsc_offset:assign:vmcb_control_area"], None, grouping=True),
    W("writes function",
      ["cpuid:1450:get_out_of_range_cpuid_entry:init:", "cpuid:1489:kvm_cpuid:init:",
       "vnested:5874:handle_vmfunc:init:",
       "cpuid:480:kvm_vcpu_ioctl_set_cpuid:assign:kvm_cpuid_entry2",
       "cpuid:822:do_host_cpuid:assign:kvm_cpuid_entry2",
       "cpuid:864:__do_cpuid_func_emulated:assign:kvm_cpuid_entry2",
       "hv:932:stimer_init:assign:hrtimer", "i8254:694:kvm_create_pit:assign:hrtimer",
       "lapic:2690:kvm_create_lapic:assign:hrtimer", "xen:170:kvm_xen_init_timer:assign:hrtimer",
       "vnested:5117:enter_vmx_operation:assign:hrtimer"]
      + [f"hv:{n}:kvm_get_hv_cpuid:designated:kvm_cpuid_entry2" for n in HV_CPUID_LINES],
      None, grouping=True),
    W("writes version",
      ["pvclock.h:23:pvclock_read_begin:init:", "kkvm:411:kvm_steal_clock:assign:",
       "pvclock:60:pvclock_read_flags:assign:", "pvclock:75:pvclock_clocksource_read:assign:",
       "pvclock:123:pvclock_read_wallclock:assign:", "vpmu:685:intel_pmu_deliver_pmi:init:",
       "x86:2312:kvm_write_wall_clock:incdec:", "x86:2314:kvm_write_wall_clock:incdec:",
       "x86:2338:kvm_write_wall_clock:incdec:", "x86:3552:record_steal_time:compound:",
       "x86:3554:record_steal_time:compound:", "x86:3565:record_steal_time:compound:",
       "x86:3550:record_steal_time:assign:",  # unsafe_get_user(version, &st->version, out)
       "spmu:182:amd_pmu_refresh:assign:kvm_pmu", "vpmu:520:intel_pmu_refresh:assign:kvm_pmu",
       "vpmu:535:intel_pmu_refresh:assign:kvm_pmu",
       "hv:260:synic_set_msr:assign:kvm_vcpu_hv_synic", "hv:539:synic_init:assign:kvm_vcpu_hv_synic",
       f"x86:3098:{PV}:assign:pvclock_vcpu_time_info", f"x86:3112:{PV}:assign:pvclock_vcpu_time_info",
       f"x86:3112:{PV}:incdec:pvclock_vcpu_time_info",
       "x86:2328:kvm_write_wall_clock:assign:pvclock_wall_clock",
       "xen:95:kvm_xen_shared_info_init:assign:pvclock_wall_clock",
       "xen:103:kvm_xen_shared_info_init:assign:pvclock_wall_clock",
       "pmu.h:199:kvm_init_pmu_capability:assign:x86_pmu_capability"],
      # kvm_write_guest(&version) / unsafe_get_user(.., &st->version) only READ the object
      ["x86:2307:kvm_write_wall_clock:out-param", "x86:3555:record_steal_time:out-param",
       "x86:3566:record_steal_time:out-param", "pmu:485:kvm_pmu_init:whole-object",
       "hv:538:synic_init:whole-object", PV_MEMCPY], grouping=True,
      forms=("get_user(x, ptr): assigns x, reads *ptr (profile [writes])",)),
]


@dataclass
class CallersCase:
    """One `callers F` question: the functions that call or invoke F (directly or not)."""
    query: str
    expected: set[str]
    neutral: set[str] = field(default_factory=set)
    how: str = "direct"
    known_wrong: str = ""


def C(query, expected, neutral=(), how="direct", known_wrong=""):
    """Build a CallersCase from iterables of "FILE:FUNCTION" strings."""
    return CallersCase(query, set(expected), set(neutral), how, known_wrong)


CALLER_CASES: list[CallersCase] = [
    C("callers kvm_guest_time_update", ["x86:vcpu_enter_guest"]),
    C("callers vmx_set_msr", ["x86:__kvm_set_msr"], how="static_call"),
    C("callers svm_set_msr", ["x86:__kvm_set_msr"], how="static_call"),
    C("callers vmx_get_msr", ["x86:__kvm_get_msr"], how="static_call"),
    C("callers svm_get_msr", ["x86:__kvm_get_msr"], how="static_call"),
    C("callers vmx_write_tsc_offset", ["x86:kvm_vcpu_write_tsc_offset"], how="static_call"),
    C("callers svm_write_tsc_offset", ["x86:kvm_vcpu_write_tsc_offset"], how="static_call"),
    C("callers vmx_handle_exit", ["x86:vcpu_enter_guest"], how="static_call"),
    C("callers kvm_vcpu_write_tsc_offset",
      ["x86:__kvm_synchronize_tsc", "x86:adjust_tsc_offset_guest", "x86:kvm_arch_vcpu_load"]),
    C("callers kvm_synchronize_tsc", ["x86:kvm_set_msr_common", "x86:kvm_arch_vcpu_postcreate"]),
    C("callers pvclock_update_vm_gtod_copy",
      ["x86:kvm_update_masterclock", "x86:kvm_vm_ioctl_set_clock", "x86:kvm_hyperv_tsc_notifier",
       "x86:kvm_arch_init_vm"]),
    C("callers kvm_get_time_scale",
      ["x86:kvm_set_tsc_khz", "x86:__get_kvmclock", "x86:kvm_guest_time_update"]),
    C("callers kvm_update_masterclock", ["x86:vcpu_enter_guest"]),
    C("callers kvm_end_pvclock_update",
      ["x86:kvm_update_masterclock", "x86:kvm_vm_ioctl_set_clock", "x86:kvm_hyperv_tsc_notifier"]),
    C("callers kvm_set_tsc_khz", ["x86:kvm_arch_vcpu_ioctl", "x86:kvm_arch_vcpu_create"]),
    C("callers kvm_write_wall_clock", ["x86:kvm_set_msr_common"]),
    C("callers emulator_set_msr", ["emul:rsm_load_state_64", "emul:em_rsm"], how="ops-table"),
    C("callers kvm_emulate_rdmsr", ["svm:msr_interception", "vmx:__vmx_handle_exit"],
      how="exit table"),
    C("callers kvm_emulate_hypercall", ["svm:svm_invoke_exit_handler", "vmx:__vmx_handle_exit"],
      how="exit tables"),
    C("callers handle_io", ["vmx:__vmx_handle_exit"], how="exit table"),
    C("callers io_interception", ["svm:svm_invoke_exit_handler"], how="exit table"),
    C("callers msr_interception", ["svm:svm_invoke_exit_handler"], how="direct + exit table"),
    C("callers do_get_msr", ["x86:__msr_io"], ["x86:kvm_arch_vcpu_ioctl"], how="fn-pointer param"),
    C("callers do_set_msr", ["x86:__msr_io"], ["x86:kvm_arch_vcpu_ioctl"], how="fn-pointer param"),
    C("callers do_get_msr_feature", ["x86:__msr_io"], ["x86:kvm_arch_dev_ioctl"],
      how="fn-pointer param"),
]

# raises/consumes: (query, {"FILE:LINE:FUNCTION"}) — every kvm_make_request/_all_cpus_request and
# kvm_check_request of the constant in the corpus (grep), nothing else.
REQUEST_CASES: list[tuple[str, set[str]]] = [
    ("raises KVM_REQ_CLOCK_UPDATE", {
        "x86:3000:kvm_end_pvclock_update", "x86:3152:kvm_guest_time_update",
        "x86:3243:kvmclock_update_fn", "x86:3252:kvm_gen_kvmclock_update",
        "x86:3667:kvm_set_msr_common", "x86:4749:kvm_arch_vcpu_load", "x86:5412:kvm_set_guest_paused",
        "x86:9307:__kvmclock_cpufreq_notifier", "x86:11015:vcpu_enter_guest",
        "x86:12340:kvm_arch_hardware_enable", "xen:567:kvm_xen_vcpu_set_attr",
        "xen:584:kvm_xen_vcpu_set_attr"}),
    ("raises KVM_REQ_MASTERCLOCK_UPDATE", {
        "hv:1357:kvm_hv_set_msr_pw", "x86:2349:kvm_write_system_time", "x86:2524:kvm_track_tsc_matching",
        "x86:9394:pvclock_gtod_update_fn", "x86:12394:kvm_arch_hardware_enable",
        "xen:106:kvm_xen_shared_info_init"}),
    ("raises KVM_REQ_GLOBAL_CLOCK_UPDATE", {
        "x86:2355:kvm_write_system_time", "x86:4773:kvm_arch_vcpu_load"}),
    ("consumes KVM_REQ_MASTERCLOCK_UPDATE", {"x86:10667:vcpu_enter_guest"}),
    ("consumes KVM_REQ_GLOBAL_CLOCK_UPDATE", {"x86:10669:vcpu_enter_guest"}),
    ("consumes KVM_REQ_CLOCK_UPDATE", {"x86:10671:vcpu_enter_guest"}),
]
CONSUMES_RUNS = {"consumes KVM_REQ_MASTERCLOCK_UPDATE": "kvm_update_masterclock",
                 "consumes KVM_REQ_GLOBAL_CLOCK_UPDATE": "kvm_gen_kvmclock_update",
                 "consumes KVM_REQ_CLOCK_UPDATE": "kvm_guest_time_update"}

# path queries: (query, a function every returned path must pass through or None)
PATH_CASES: list[tuple[str, str | None]] = [
    ("path kvm_vcpu_ioctl -> kvm_guest_time_update", "vcpu_enter_guest"),
    ("path kvm_arch_vcpu_ioctl -> kvm_set_tsc_khz", None),
    ("path kvm_vcpu_ioctl -> vmx_set_msr", "__kvm_set_msr"),
    ("path kvm_vm_ioctl -> pvclock_update_vm_gtod_copy", None),
    ("path vcpu_enter_guest -> kvm_emulate_rdmsr", None),
    ("path kvm_arch_vcpu_ioctl -> do_set_msr", None),
]
PIPE_PATH_QUERIES = [
    "raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 8",
    "raises KVM_REQ_MASTERCLOCK_UPDATE | paths from entry depth 8",
    "writes kvm_arch.use_master_clock | paths from entry depth 8",
]
PIPE_NO_PATH: dict[str, str] = {}
