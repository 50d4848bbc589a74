// Globals of the Node-RED editor page (RED, jQuery, our HomeEnergyEditor helpers), for the functions the editor tests run in the browser
// (page.evaluate): used by the type check of the tests (tsconfig.test.json).
declare const RED: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const $: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const HomeEnergyEditor: any; // eslint-disable-line @typescript-eslint/no-explicit-any
