# Quick start:  make run   (portal on embedded SQLite)   |   make test   (whole suite)
# Both build the front-end assets first (`make assets`: ECharts and Swagger UI from npm,
# docs/third-party.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
PG_URL ?= postgresql://127.0.0.1:5432/test
NPM    ?= npm
NODE_STAMP := node_modules/.installed
VENDOR := app/static/vendor
ECHARTS := $(VENDOR)/echarts/echarts.min.js
SWAGGER := $(VENDOR)/swagger-ui/swagger-ui-bundle.js

.PHONY: run test test-sqlite test-postgres lint assets browser-deps print-deps proxy-deps bench bench-load \
        bench-load-faults bench-scale bench-transfer docs translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $(STAMP)

# Front-end libraries from the npm registry at the versions of package-lock.json, installed
# only when the lock changes, never running a package's install scripts; served from the
# portal's own static folder (app/static/vendor/, generated, not committed), never a CDN.
$(NODE_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { \
	  echo "npm not found: install Node.js 20+ with npm (e.g. apt-get install nodejs npm)"; exit 1; }
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

# echarts.min.js embeds zrender (BSD-3-Clause) and code from d3 (BSD-3-Clause): their
# licences go next to it with ECharts' own LICENSE and NOTICE.
$(ECHARTS): $(NODE_STAMP)
	rm -rf $(VENDOR)/echarts && mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/LICENSE node_modules/echarts/licenses/LICENSE-d3 $(VENDOR)/echarts/
	if [ -f node_modules/echarts/NOTICE ]; then cp node_modules/echarts/NOTICE $(VENDOR)/echarts/; fi
	cp node_modules/zrender/LICENSE $(VENDOR)/echarts/LICENSE-zrender
	cp node_modules/echarts/dist/echarts.min.js $(ECHARTS)

# Swagger UI for the API page (/api-docs/, app/views/api/openapi/): its prebuilt bundle and
# stylesheet, the licence of the libraries the bundle embeds, swagger-ui's LICENSE and NOTICE.
$(SWAGGER): $(NODE_STAMP)
	rm -rf $(VENDOR)/swagger-ui && mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE \
	   node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt $(VENDOR)/swagger-ui/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js $(SWAGGER)

assets: $(ECHARTS) $(SWAGGER)

run: $(STAMP) assets
	$(PY) run.py

# Chromium from Debian's packages for the browser tests (no browser download), and a CJK
# font so screenshots show Chinese.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "chromium not installed and cannot install it here: browser tests will skip"; fi; }

# WeasyPrint's pango and a CJK font from Debian's packages: the PDFs of print templates
# (app/views/printing.py) and tests/test_views_print.py.
print-deps:
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 && fc-list 2>/dev/null | grep -qi wqy || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei >/dev/null; \
	  else echo "pango or fonts-wqy-microhei not installed and cannot install them here: PDFs will fail"; fi; }

# HAProxy from Debian's packages: tests/test_scale_out.py (PostgreSQL suite) and
# `make bench-load` put it in front of two gunicorn servers.
proxy-deps:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	  else echo "haproxy not installed and cannot install it here: tests/test_scale_out.py will fail"; fi; }

test: $(STAMP) assets browser-deps print-deps proxy-deps lint
	@# The two suites use separate databases: side by side they keep CI well under 30 minutes
	@# (one after the other took 11 + ~18 minutes); each suite's output is printed whole.
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(STAMP) assets
	$(PY) -m pytest -q

test-postgres: $(STAMP) assets
	PORTAL_TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -m "not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/schema.py
	$(PY) benchmarks/audit.py

# The load test's own tools (locust) live in the `bench` extra, not in `dev`.
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(VENV)/bin/pip install -q -e ".[dev,bench]"
	touch $(BENCH_STAMP)

# 50 users for 60 s against one gunicorn, then two behind HAProxy (benchmarks/README.md).
bench-load: $(BENCH_STAMP) proxy-deps
	$(PY) benchmarks/load_test.py

# The same work while PostgreSQL restarts, Redis stops and a worker is killed (own clusters).
bench-load-faults: $(BENCH_STAMP)
	$(PY) benchmarks/load_test.py --faults

# Not in CI: seeds 1k and 100k complaints and customers on SQLite and PostgreSQL (database
# bench_scale, created when missing; --pg-url) and times the pages over HTTP against gunicorn.
# Add 1M with BENCH_SCALE_ARGS="--sizes 1k,100k,1m" (seeded once in minutes, then reused).
bench-scale: $(STAMP)
	$(PY) benchmarks/scale.py $(BENCH_SCALE_ARGS)

# Not in CI: an XLSX export of 1,000,000 rows (memory at 10k/100k/1M) and an import of
# 100,000 rows on SQLite and PostgreSQL ($(PG_URL), a throwaway schema); a few minutes.
bench-transfer: $(STAMP)
	$(PY) benchmarks/transfer.py --pg-url $(PG_URL)

docs: $(STAMP)
	$(PY) -m app.config.docs --write

translations: $(STAMP)
	$(PY) -c "from app.i18n import compile_catalogs; print(*compile_catalogs(), sep='\n')"

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules $(VENDOR)
