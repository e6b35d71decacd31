/** Adds a stylesheet to the page once (CSP allows inline styles, not inline scripts). */
const added = new Set<string>()
export function addStyleOnce(css: string): void {
  if (added.has(css)) return
  added.add(css)
  const style = document.createElement('style')
  style.textContent = css
  document.head.append(style)
}
