/** The part of plotly.js (basic bundle, which ships no types) that the facets use. */
declare module 'plotly.js-basic-dist-min' {
  export interface PlotlyClickEvent {
    points: { pointIndex: number; pointNumber: number }[];
  }

  export interface PlotlyElement extends HTMLElement {
    on(event: 'plotly_click', handler: (event: PlotlyClickEvent) => void): void;
  }

  const Plotly: {
    react(root: HTMLElement, data: object[], layout?: object, config?: object): Promise<PlotlyElement>;
    purge(root: HTMLElement): void;
  };
  export default Plotly;
}
