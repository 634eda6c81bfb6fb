"""The Streamlit staff workbench: navigation per role, login, and widgets shared by the pages."""
