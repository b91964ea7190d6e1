// The package ships no types: the shape it returns, as its README documents it.
declare module "parse-prometheus-text-format" {
  type Sample = { value: string; labels?: Record<string, string> };
  type Family = { name: string; help: string; type: string; metrics: Sample[] };
  export default function parsePrometheusTextFormat(text: string): Family[];
}
