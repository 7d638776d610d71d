"""Entry point for `flask --app app` and gunicorn (`app:app`): builds the app, nothing else."""

from learnapp import create_app

app = create_app()
