"""Spreadsheets in: template writer, reader, validation, transactional loader (see pipeline)."""
