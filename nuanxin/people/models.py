"""Residents, households, special groups and key persons."""
