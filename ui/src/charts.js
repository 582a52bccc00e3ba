// Apache ECharts, only what the page draws: line and bar charts on canvas,
// with grid, tooltip, legend, mark lines and the aria description.
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import {
  AriaComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, AriaComponent, GridComponent, LegendComponent,
  MarkLineComponent, TooltipComponent, CanvasRenderer]);

const live = new Map();

export function draw(el, option, description) {
  let chart = live.get(el);
  if (!chart) {
    chart = echarts.init(el, null, { renderer: 'canvas' });
    live.set(el, chart);
  }
  el.setAttribute('aria-label', description);
  chart.setOption({ aria: { enabled: true, description }, animation: false, ...option }, true);
}

export function clear(el, description) {
  const chart = live.get(el);
  if (chart) {
    chart.dispose();
    live.delete(el);
  }
  el.setAttribute('aria-label', description);
}

export function resizeAll() {
  for (const c of live.values()) c.resize();
}
