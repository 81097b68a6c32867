"""Files in and out: area lists, spreadsheets, sample data."""
