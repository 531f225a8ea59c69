/* A capture-phase listener: a click on a citation never navigates; it asks Python for the chunk
   by writing the link's fragment into a hidden textbox and clicking a hidden button. */
() => {
  if (window.__ragCites) return;
  window.__ragCites = true;
  document.addEventListener('click', (e) => {
    const a = e.target && e.target.closest ? e.target.closest('a.rag-cite') : null;
    if (!a) return;
    const href = a.getAttribute('href') || '';
    if (!href.startsWith('#')) return;
    e.preventDefault();
    e.stopPropagation();
    const box = document.querySelector('#rag-cite-target textarea, #rag-cite-target input');
    const btn = document.querySelector('#rag-cite-open');
    if (!box || !btn) return;
    box.value = href.slice(1);
    box.dispatchEvent(new Event('input', {bubbles: true}));
    document.querySelectorAll('a.rag-cite.rag-active').forEach((x) => x.classList.remove('rag-active'));
    a.classList.add('rag-active');
    setTimeout(() => btn.click(), 30);
  }, true);
}
