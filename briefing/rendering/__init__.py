"""rendering: charts, HTML from the layouts, PDF and its post-processing."""
