"""Uploaded files of file and image fields: their table, where their bytes are kept (a folder,
or the database every app server shares), and storing, listing and reading them."""
