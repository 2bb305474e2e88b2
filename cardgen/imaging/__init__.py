"""Imaging: reading image files and turning them into display-ready pixels, as a PACS shows them."""
