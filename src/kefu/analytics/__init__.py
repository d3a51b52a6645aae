"""Analytics: daily rollups of the metric registry (core.metrics), the metrics API, dashboards and reports."""
