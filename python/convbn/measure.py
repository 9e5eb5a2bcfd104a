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
