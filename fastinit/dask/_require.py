"""dask.array, imported on first use, or an ImportError that says how to install it."""


def require_dask():
    try:
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised without dask only
        raise ImportError("fastinit.dask needs dask: pip install 'fastinit[dask]'") from exc
    return da
