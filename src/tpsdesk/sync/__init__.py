"""Identities, bundles, merging and receipts."""
