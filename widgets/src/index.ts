export type {
  Annotation,
  DatasetVocabulary,
  Facet,
  FilterChip,
  Job,
  JobState,
  Label,
  MetadataField,
  PageQuery,
  Prediction,
  Sample,
  SampleDetail,
  SamplePage,
  SamplePosition,
  Tag,
  TaskClasses,
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
