export type {
  Annotation,
  Facet,
  Job,
  JobState,
  Label,
  PageQuery,
  Prediction,
  Sample,
  SampleDetail,
  SamplePage,
  Tag,
} from './api.js';
export { Api, ApiError } from './api.js';
export { type Mounted, type StateChange, type ViewContext, ViewState } from './state.js';
export type {
  ApiRequest,
  ApiResponse,
  Method,
  Transport,
} from './transport.js';
export { type MountedView, mountView, type ViewHost, type ViewName, type ViewOptions } from './view.js';
