/* The clipboard API needs a secure context; 127.0.0.1 is one, a LAN address is not: fall back
   to a hidden textarea and execCommand. */
(t) => {
  const text = t || '';
  if (!text) return t;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(() => {});
  } else {
    const ta = document.createElement('textarea');
    ta.value = text; ta.style.position = 'fixed'; ta.style.opacity = '0';
    document.body.appendChild(ta); ta.select();
    try { document.execCommand('copy'); } catch (e) {}
    ta.remove();
  }
  return t;
}
