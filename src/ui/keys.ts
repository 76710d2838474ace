/** The keys of the terminal UI, as the help overlay (and the README) lists them. */
export const keyHelp: readonly (readonly [keys: string, what: string])[] = [
  ['↑ ↓  j k', 'select a request (scroll the routes, problems or detail)'],
  ['PgUp PgDn', 'a page up or down; g the oldest request, G follow the newest'],
  ['Enter', 'open the detail of the selected request'],
  ['Esc', 'close the detail or this help; drop the selection (follow new requests)'],
  ['Tab', 'switch panes: requests, routes, problems (Shift-Tab back)'],
  ['/', 'filter requests by host, path, status or route id (Enter keeps it, Esc clears it)'],
  ['p', 'pause the list (requests are still recorded); p again resumes'],
  ['c', 'clear the list'],
  ['r', 'reload the manifests now'],
  ['?', 'show or hide these keys'],
  ['q  Ctrl-C', 'quit'],
];
