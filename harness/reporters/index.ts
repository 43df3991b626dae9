export { ConsoleReporter, type ConsoleReporterOptions } from './console.ts';
export { renderHtml } from './html.ts';
export { renderJson, writeFileAtomic } from './json.ts';
export { renderJunit } from './junit.ts';
export { renderMarkdown } from './markdown.ts';
export { writeReports, REPORT_FILES } from './write-reports.ts';
