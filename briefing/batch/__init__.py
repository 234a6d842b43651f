"""batch: reading a workspace, planning outputs, freshness, workers and the build lock."""
