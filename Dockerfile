# One image for every role: `patchbay start gateway|engine|runner`.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends tmux git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
ENTRYPOINT ["node", "/app/bin/patchbay"]
