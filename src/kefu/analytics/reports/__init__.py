"""Reports and exports of the analytics app: the monthly service report (page, PDF, XLSX, JSON),
any metric as CSV/XLSX, and the scheduled delivery of reports by mail (ADR 0013)."""
