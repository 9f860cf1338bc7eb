"""The bundled reference web apps: one folder per app with index.html, demo.yaml and assets."""
