"""The student's mobile web app: the mini-program journey on the shared core services."""
