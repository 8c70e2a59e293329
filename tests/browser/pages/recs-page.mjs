// Puts one <tailor-recs> on the page for the browser tests: ?bundle=, ?backend= and ?k= become
// its attributes. The element's events are kept in window.recsEvents, and <body data-state>
// follows them (loading | tailor-ready | tailor-results | tailor-error).
import '/web/tailor-recs.js';

const params = new URLSearchParams(location.search);
const element = document.createElement('tailor-recs');
element.setAttribute('bundle', params.get('bundle') ?? '/bundle/');
element.setAttribute('backend', params.get('backend') ?? 'cpu');
element.setAttribute('k', params.get('k') ?? '8');

window.recsEvents = [];
for (const type of ['tailor-ready', 'tailor-results', 'tailor-error']) {
  document.addEventListener(type, (event) => {
    const detail = type === 'tailor-ready' ? { backend: event.detail.backend } : event.detail;
    window.recsEvents.push({ type, detail });
    document.body.dataset.state = type;
  });
}
document.body.append(element);
