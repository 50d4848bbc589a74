#!/bin/sh
# Prepares the Node-RED user dir in /data (broker credentials from the Supervisor, the two
# preconfigured config nodes, encrypted credentials), then runs Node-RED on the ingress port.
set -e
node /opt/home-energy/start.js
exec node /opt/node-red/node_modules/node-red/red.js --userDir /data/node-red --settings /data/node-red/settings.js
