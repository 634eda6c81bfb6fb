"""UI pieces both Streamlit apps (the staff workbench and the student app) share; nothing here
knows either app."""
