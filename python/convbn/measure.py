"""Measurements shared by the tests and the benchmark."""

import torch


def kept_for_backward(run, exclude=()):
    """Bytes of the distinct storages autograd keeps for backward while
    `run()` executes; storages of `exclude` (parameters, buffers) are not
    counted."""
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        run()
    return sum(seen.values())


def step_memory(step, device, library=None):
    """What one call of `step()` allocates, in bytes: {"baseline": PyTorch's
    allocations before the step, "torch_peak": the most PyTorch's
    allocations rose above that during the step, "retained": above it after
    the step (nonzero: the step keeps memory), "runtime_peak": the most
    the generated code held through its runtime (`library`, a
    CompiledModule; 0 without one)}. On cuda from PyTorch's allocator
    statistics; on the CPU from the profiler's allocation events (the
    baseline is then unknown: None)."""
    if library is not None:
        library.reset_peak_memory()
    if device == "cuda":
        torch.cuda.synchronize()
        baseline = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        peak, retained = torch.cuda.max_memory_allocated() - baseline, \
            torch.cuda.memory_allocated() - baseline
    else:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            step()
        # Each event's own allocations and frees (negative), in time order.
        events = sorted((e for e in prof.events() if e.self_cpu_memory_usage),
                        key=lambda e: e.time_range.start)
        baseline, live, peak = None, 0, 0
        for event in events:
            live += event.self_cpu_memory_usage
            peak = max(peak, live)
        retained = live
    return {"baseline": baseline, "torch_peak": peak, "retained": retained,
            "runtime_peak": library.device_memory()[1] if library is not None else 0}
