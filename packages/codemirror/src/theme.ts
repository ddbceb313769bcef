/**
 * The binding's base styles: remote carets (a 2px bar with a name label above it), selections
 * (the color comes inline per user), and the edge markers. A base theme, so an app's own theme
 * wins wherever it sets the same properties.
 */
import { EditorView } from '@codemirror/view';

export const tandemTheme = EditorView.baseTheme({
  '.cm-tandem-caret': {
    position: 'relative',
    borderLeft: '2px solid',
    marginLeft: '-1px',
    marginRight: '-1px',
    pointerEvents: 'none',
  },
  '.cm-tandem-caret-label': {
    position: 'absolute',
    bottom: '100%',
    left: '-2px',
    padding: '0 4px',
    borderRadius: '3px 3px 3px 0',
    color: '#fff',
    fontSize: '11px',
    lineHeight: '16px',
    fontFamily: 'system-ui, sans-serif',
    fontStyle: 'normal',
    fontWeight: '600',
    whiteSpace: 'nowrap',
    userSelect: 'none',
    zIndex: '10',
    textShadow: '0 0 2px rgba(0, 0, 0, 0.35)',
  },
  '.cm-tandem-edge': {
    position: 'absolute',
    right: '8px',
    display: 'flex',
    gap: '4px',
    zIndex: '20',
    pointerEvents: 'none',
  },
  '.cm-tandem-edge-top': { top: '4px' },
  '.cm-tandem-edge-bottom': { bottom: '4px' },
  '.cm-tandem-edge-marker': {
    pointerEvents: 'auto',
    border: 'none',
    borderRadius: '10px',
    padding: '1px 8px',
    color: '#fff',
    font: '600 11px/18px system-ui, sans-serif',
    cursor: 'pointer',
    boxShadow: '0 1px 3px rgba(0, 0, 0, 0.25)',
  },
  '.cm-tandem-edge-marker:focus-visible': { outline: '2px solid #111', outlineOffset: '1px' },
});
