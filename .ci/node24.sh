# Sourced by .ci/run: the suite runs on the Node.js major the images ship (node:24). When the machine's
# node is older, node@24 comes from the npm registry into .ci/.node24 (ignored by git) and goes first on
# PATH, so npm ci, the build, the tests and every process they start run on it.
required_major=24
current_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$current_major" -lt "$required_major" ]; then
  if [ ! -x .ci/.node24/node_modules/.bin/node ]; then
    echo "ci: Node.js $(node --version) is older than the images' $required_major: installing node@$required_major from the npm registry"
    npm install --prefix .ci/.node24 --no-audit --no-fund --loglevel=error "node@$required_major" >/dev/null
  fi
  PATH="$PWD/.ci/.node24/node_modules/.bin:$PATH"
  export PATH
fi
echo "ci: Node.js $(node --version)"
