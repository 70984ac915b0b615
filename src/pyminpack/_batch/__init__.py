"""Many fits at once: ``fit_many`` on threads that release the GIL, ``fit_many_dask`` on a Dask cluster."""
