"""tpsdesk: offline registration of ad-hoc election officers for BPJS Ketenagakerjaan cover."""

__version__ = "0.1.0"
