/**
 * Chart.js, registered with only the pieces the console draws (stacked bars), so the bundle stays
 * small. Canvas drawing and CSSOM sizing only: nothing the strict CSP blocks.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { useEffect, useRef } from "preact/hooks";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Okabe-Ito, in an order where neighbours stay distinct for the common colour-vision deficiencies. */
export const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];

export interface Series {
  label: string;
  data: number[];
  colour: string;
}

export function StackedBars(props: { id: string; labels: string[]; series: Series[]; summary: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: props.labels,
        datasets: props.series.map((s) => ({
          label: s.label,
          data: s.data,
          backgroundColor: s.colour,
          borderColor: "#ffffff",
          borderWidth: 1,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
    return () => chart.destroy();
  }, [props.labels, props.series]);
  return (
    <div class="chart-box">
      <canvas id={props.id} ref={canvas} role="img" aria-label={props.summary} />
    </div>
  );
}
