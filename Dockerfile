# The one image every Squall service runs: the project's own CLI on Node 20, with Python and Go
# toolchains so multilang components (and their Go builds) work inside it.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip golang-go ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/squall
COPY package.json package-lock.json ./
# npm install (not ci), as scripts/test-all.sh does: the lockfile has no entries for the optional
# native packages of other platforms (msgpackr-extract's), which npm ci refuses. Scripts wait for
# the sources (the package's own `prepare` builds them); `npm rebuild` below runs the dependencies'.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm rebuild && npm run build && npm link \
 && pip3 install --no-cache-dir --break-system-packages ./multilang/python
ENTRYPOINT ["squall"]
CMD ["--help"]
