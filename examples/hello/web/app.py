"""The example stack's web component: a guestbook kept in PostgreSQL.

GET / shows the greeting, the stage and the latest entries; POST / adds one; GET /healthz
answers 200 when the database does. Configuration comes from the environment that Stackyard
builds from stackyard.yaml: DATABASE_URL (imported from the `db` add-on), STAGE (from the
platform) and GREETING (from the `greeting` param).
"""

import os

import psycopg2
from flask import Flask, redirect, render_template, request, url_for

app = Flask(__name__)

GREETING = os.environ.get("GREETING", "Hello from Stackyard")
STAGE = os.environ.get("STAGE", "local")
MAX_MESSAGE = 280

_table_ready = False


def connect():
    """A new connection per request: the app holds none while idle."""
    return psycopg2.connect(os.environ["DATABASE_URL"], connect_timeout=3)


def ensure_table(conn):
    """Creates the table on first use (each worker checks once)."""
    global _table_ready
    if _table_ready:
        return
    with conn.cursor() as cur:
        # Workers starting together would race on CREATE TABLE: take turns.
        cur.execute("SELECT pg_advisory_xact_lock(4242)")
        cur.execute(
            """CREATE TABLE IF NOT EXISTS entries (
                 id serial PRIMARY KEY,
                 message text NOT NULL,
                 created_at timestamptz NOT NULL DEFAULT now())"""
        )
    conn.commit()
    _table_ready = True


@app.get("/")
def index():
    with connect() as conn:
        ensure_table(conn)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM entries")
            (count,) = cur.fetchone()
            cur.execute(
                "SELECT message, created_at FROM entries ORDER BY id DESC LIMIT 20"
            )
            entries = cur.fetchall()
    conn.close()
    return render_template(
        "index.html", greeting=GREETING, stage=STAGE, count=count, entries=entries
    )


@app.post("/")
def add_entry():
    message = request.form.get("message", "").strip()[:MAX_MESSAGE]
    if message:
        with connect() as conn:
            ensure_table(conn)
            with conn.cursor() as cur:
                cur.execute("INSERT INTO entries (message) VALUES (%s)", (message,))
        conn.close()
    return redirect(url_for("index"), code=303)


@app.get("/healthz")
def healthz():
    try:
        conn = connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
        finally:
            conn.close()
    except psycopg2.Error as error:
        return {"status": "unavailable", "error": str(error).strip()}, 503
    return {"status": "ok"}
