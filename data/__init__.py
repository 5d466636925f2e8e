"""The bundled sample district near 天台, installed as the package ``landtool_data``
(see README.md here and :mod:`landtool.datasets`)."""
