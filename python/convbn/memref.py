"""MLIR memref descriptors for tensors, as the C interface
(`llvm.emit_c_interface`) of generated functions expects them."""

import ctypes

_DESCRIPTORS = {}


def descriptor_type(rank):
    """The ctypes struct of a ranked memref descriptor:
    {allocated, aligned, offset, sizes[rank], strides[rank]}."""
    if rank not in _DESCRIPTORS:
        fields = [
            ("allocated", ctypes.c_void_p),
            ("aligned", ctypes.c_void_p),
            ("offset", ctypes.c_int64),
        ]
        if rank:
            fields += [
                ("sizes", ctypes.c_int64 * rank),
                ("strides", ctypes.c_int64 * rank),
            ]
        _DESCRIPTORS[rank] = type(f"MemRef{rank}D", (ctypes.Structure,), {"_fields_": fields})
    return _DESCRIPTORS[rank]


def descriptor(tensor):
    """A descriptor viewing `tensor` (a torch.Tensor, any device, strided).
    The tensor must outlive every call that uses the descriptor."""
    rank = tensor.dim()
    desc = descriptor_type(rank)()
    pointer = tensor.data_ptr()
    desc.allocated = pointer
    desc.aligned = pointer
    desc.offset = 0
    for i in range(rank):
        desc.sizes[i] = tensor.shape[i]
        desc.strides[i] = tensor.stride(i)
    return desc
