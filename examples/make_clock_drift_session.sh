#!/bin/sh
# Record the clock-drift investigation as a vmxref session, then export it.
#
#   VMXREF_INDEX=/path/to/index examples/make_clock_drift_session.sh [OUT_DIR]
#
# Needs linux-kvm@6.1 indexed (`vmxref corpus index linux-kvm`). Writes
# OUT_DIR/clock-drift.md and OUT_DIR/clock-drift-html/ (default OUT_DIR: .). The session log
# itself is <index>/sessions/clock-drift.jsonl. Nothing of the kernel sources is shipped:
# the account is generated from your own index.
set -eu
OUT=${1:-.}
VMXREF=${VMXREF:-vmxref}
C=linux-kvm@6.1

# exit 1 means "no results": part of the story, not a failure
q() { "$VMXREF" q "$1" --corpus "$C" >/dev/null || [ $? -eq 1 ]; }

"$VMXREF" session start clock-drift
"$VMXREF" session note "Symptom: the guest clock drifts after live migration and CPU hot-plug. \
kvmclock is recomputed by kvm_guest_time_update(); who triggers it, and where does the \
TSC scale it publishes come from?"
q 'callers kvm_guest_time_update'
"$VMXREF" session note "Only vcpu_enter_guest calls it: the update is deferred through a request."
q 'raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 6'
"$VMXREF" session note "Raised on vCPU load (migration to another pCPU), from the kvmclock MSR \
handlers, on master-clock updates and from the cpufreq notifier; paths show which entry points."
q 'consumes KVM_REQ_CLOCK_UPDATE'
q 'writes kvm_vcpu_arch.hv_clock.tsc_to_system_mul'
q 'writes kvm_vcpu_arch.hv_clock.tsc_shift'
"$VMXREF" session note "The multiplier and shift are written only in kvm_guest_time_update, \
from kvm_get_time_scale() on the per-CPU TSC frequency: a stale frequency means a stale scale."
q 'callers kvm_get_time_scale'
"$VMXREF" session bookmark arch/x86/kvm/x86.c:3120 "kvm_guest_time_update reads the TSC frequency" \
    --corpus "$C" || true
"$VMXREF" session stop
"$VMXREF" session export clock-drift --md "$OUT/clock-drift.md" --html "$OUT/clock-drift-html"
