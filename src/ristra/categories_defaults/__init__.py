"""Default category definitions shipped with ristra (YAML package data).

``new_mexico.yaml`` holds the University of New Mexico School of Medicine's categories; the
category store (:mod:`ristra.stores.categories`) seeds version 1 from it.
"""
