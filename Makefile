# Two commands: `make run` (set up, import the demo posts, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARCHIVE ?= fixtures/posts
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint serve bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Development server on the embedded SQLite database, with the demo posts (or ARCHIVE=path).
# import_posts exits 2 when some files failed (the demo has two broken files on purpose).
run: install
	DEBUG=1 $(BIN)/python manage.py migrate --verbosity 0
	@if [ "$(ARCHIVE)" = "fixtures/posts" ]; then echo "Importing the demo posts: two of them are broken on purpose (fixtures/posts/2024-09-0*), to show how the import names a bad file and goes on."; fi
	DEBUG=1 $(BIN)/python manage.py import_posts $(ARCHIVE) || test $$? -eq 2
	DEBUG=1 $(BIN)/python manage.py create_demo_user
	@echo "Serving on http://$(HOST):$(PORT)/"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

# Production-style serving (needs SECRET_KEY and ALLOWED_HOSTS in the environment).
serve: install
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers 2

bench: install
	$(BIN)/python bench/make_archive.py 2000 /tmp/pizhu-bench-archive
	$(BIN)/python bench/import_bench.py /tmp/pizhu-bench-archive

clean:
	rm -rf $(VENV) data staticfiles .pytest_cache .ruff_cache
