"""Core of the CHSI photo-collection workbench: domain rules, imaging, storage and services.

Nothing in this package imports Streamlit; pages and command lines call into it.
"""

__version__ = "0.1.0"
