"""The district office's desk: inbox, laptops, findings, coverage and files out."""
