/**
 * A list that renders only the rows in view (plus a margin), so 10 000 miners
 * scroll as smoothly as 10. Rows have one fixed height.
 */
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

interface Props<T> {
  items: T[]
  rowHeight: number
  renderRow: (item: T, index: number) => ComponentChildren
  label: string
  overscan?: number
}

export function VirtualList<T>({ items, rowHeight, renderRow, label, overscan = 6 }: Props<T>) {
  const ref = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(600)

  useEffect(() => {
    const el = ref.current!
    const observer = new ResizeObserver(() => setHeight(el.clientHeight))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan)
  const rows = []
  for (let i = first; i < last; i++) {
    rows.push(<li key={i} role="listitem" style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>{renderRow(items[i]!, i)}</li>)
  }
  return (
    <div ref={ref} class="vlist" onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} aria-label={label} role="region" tabIndex={0}>
      <ul role="list" style={{ height: `${items.length * rowHeight}px` }}>{rows}</ul>
    </div>
  )
}
