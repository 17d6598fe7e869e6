"""Numba kernels of fastinit, installed as ``fastinit.kernels``.

Kernels take typed arrays and scalars and return arrays or scalars. They never validate, never
print and never import from ``fastinit``: the public layer checks every argument first.
"""
