// Puts one <tailor-recs> on the page for the browser tests: ?bundle=, ?backend=, ?k=, ?mode=,
// ?item=, ?exclude=, ?category=, ?locale=, ?record-event=, ?shop= and ?cache= become its attributes. The
// element's events are kept in window.recsEvents, and <body data-state> follows them (loading |
// tailor-ready | tailor-results | tailor-error). With ?cancel-select, tailor-select is cancelled
// (the page keeps control, as a single-page shop would).
import '/web/tailor-recs.js';

const params = new URLSearchParams(location.search);
const element = document.createElement('tailor-recs');
element.setAttribute('bundle', params.get('bundle') ?? '/bundle/');
element.setAttribute('backend', params.get('backend') ?? 'cpu');
element.setAttribute('k', params.get('k') ?? '8');
for (const name of ['mode', 'item', 'exclude', 'category', 'locale', 'record-event', 'shop', 'cache']) {
  if (params.has(name)) element.setAttribute(name, params.get(name));
}

window.recsEvents = [];
for (const type of ['tailor-ready', 'tailor-results', 'tailor-error', 'tailor-select']) {
  document.addEventListener(type, (event) => {
    const detail = type === 'tailor-ready' ? { backend: event.detail.backend } : event.detail;
    window.recsEvents.push({ type, detail });
    if (type === 'tailor-select') {
      if (params.has('cancel-select')) event.preventDefault();
      return;
    }
    document.body.dataset.state = type;
  });
}
document.body.append(element);
