"""The WOPI client (one method per operation), proof keys and the discovery XML that carries them."""
