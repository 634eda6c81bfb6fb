"""Imaging core: one small module per step, each a pure function (image in, typed result out).

The pipeline (``core.imaging.pipeline``) composes them; it knows nothing of the database or of
Streamlit, so the worker, the command line and the tests all run exactly the same code.
"""
